	.section	.rodata
.LC0:
	.byte	0,1,1,2,1,2,2,3,1,2,2,3,2,3,3,4
	.text
	.p2align 4
	.globl	pop
	.type	pop, @function
pop:
leaq	.LC0(%rip), %rcx
	xorl	%eax, %eax
.L2:
	movl	%edi, %edx
	andl	$15, %edx
	movzbl	(%rcx,%rdx), %edx
	addl	%edx, %eax
	shrl	$4, %edi
	jne	.L2
	ret
	.size	pop, .-pop
