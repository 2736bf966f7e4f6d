	.text
	.p2align 4
	.globl	sum
	.type	sum, @function
sum:
xorl	%eax, %eax
	xorl	%r12d, %r12d
	testl	%esi, %esi
	jle	.L3
.L2:
	addl	(%rdi,%r12,4), %eax
	addq	$1, %r12
	cmpl	%r12d, %esi
	jg	.L2
.L3:
	ret
	.size	sum, .-sum
