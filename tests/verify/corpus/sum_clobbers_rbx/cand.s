	.text
	.p2align 4
	.globl	sum
	.type	sum, @function
sum:
xorl	%eax, %eax
	xorl	%ebx, %ebx
	testl	%esi, %esi
	jle	.L3
.L2:
	addl	(%rdi,%rbx,4), %eax
	addq	$1, %rbx
	cmpl	%ebx, %esi
	jg	.L2
.L3:
	ret
	.size	sum, .-sum
