	.section	.rodata
	.p2align 4
.LC0:
	.long	1, 1, 2, 6, 24, 120
	.text
	.p2align 4
	.globl	fact
	.type	fact, @function
fact:
cmpl	$5, %edi
	ja	.L2
	leaq	.LC0(%rip), %rax
	movl	(%rax,%rdi,4), %eax
	ret
.L2:
	xorl	%eax, %eax
	ret
	.size	fact, .-fact
