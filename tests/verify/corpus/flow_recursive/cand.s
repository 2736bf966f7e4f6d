	.text
	.p2align 4
	.globl	sumdig
	.type	sumdig, @function
sumdig:
cmpl	$9, %edi
	ja	.L2
	movl	%edi, %eax
	ret
.L2:
	pushq	%rbx
	movl	%edi, %eax
	movl	$3435973837, %edx
	imulq	%rdx, %rax
	shrq	$35, %rax
	leal	(%rax,%rax,4), %edx
	addl	%edx, %edx
	movl	%edi, %ebx
	subl	%edx, %ebx
	movl	%eax, %edi
	call	sumdig
	addl	%ebx, %eax
	popq	%rbx
	ret
	.size	sumdig, .-sumdig
