	.text
	.p2align 4
	.globl	pop
	.type	pop, @function
pop:
movl	%edi, %eax
	shrl	%eax
	andl	$0x55555555, %eax
	subl	%eax, %edi
	movl	%edi, %eax
	shrl	$2, %edi
	andl	$0x33333333, %eax
	andl	$0x33333333, %edi
	addl	%edi, %eax
	movl	%eax, %edx
	shrl	$4, %edx
	addl	%edx, %eax
	andl	$0x0f0f0f0f, %eax
	imull	$0x01010101, %eax, %eax
	shrl	$24, %eax
	ret
	.size	pop, .-pop
