	.text
	.p2align 4
	.globl	sum
	.type	sum, @function
sum:
pushq	%rbp
	xorl	%eax, %eax
	xorl	%ebp, %ebp
	testl	%esi, %esi
	jle	.L3
.L2:
	addl	(%rdi,%rbp,4), %eax
	addq	$1, %rbp
	cmpl	%ebp, %esi
	jg	.L2
.L3:
	addq	$8, %rsp
	ret
	.size	sum, .-sum
