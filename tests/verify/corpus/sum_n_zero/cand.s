	.text
	.p2align 4
	.globl	sum
	.type	sum, @function
sum:
xorl	%eax, %eax
	xorl	%ecx, %ecx
.L2:
	addl	(%rdi,%rcx,4), %eax
	addq	$1, %rcx
	cmpl	%ecx, %esi
	jg	.L2
	ret
	.size	sum, .-sum
