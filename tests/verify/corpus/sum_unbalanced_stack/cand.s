	.text
	.p2align 4
	.globl	sum
	.type	sum, @function
sum:
pushq	%rdx
	xorl	%eax, %eax
	xorl	%ecx, %ecx
	testl	%esi, %esi
	jle	.L3
.L2:
	addl	(%rdi,%rcx,4), %eax
	addq	$1, %rcx
	cmpl	%ecx, %esi
	jg	.L2
.L3:
	ret
	.size	sum, .-sum
