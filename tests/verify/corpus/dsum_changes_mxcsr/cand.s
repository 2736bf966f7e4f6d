	.text
	.p2align 4
	.globl	dsum
	.type	dsum, @function
dsum:
subq	$8, %rsp
	stmxcsr	(%rsp)
	orl	$0x8000, (%rsp)
	ldmxcsr	(%rsp)
	addq	$8, %rsp
	pxor	%xmm0, %xmm0
	xorl	%eax, %eax
	testl	%esi, %esi
	jle	.L3
.L2:
	addsd	(%rdi,%rax,8), %xmm0
	addq	$1, %rax
	cmpl	%eax, %esi
	jg	.L2
.L3:
	ret
	.size	dsum, .-dsum
