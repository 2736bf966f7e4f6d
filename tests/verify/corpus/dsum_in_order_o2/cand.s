	.text
	.p2align 4
	.globl	dsum
	.type	dsum, @function
dsum:
.LFB0:
	.cfi_startproc
	testl	%esi, %esi
	jle	.L4
	movslq	%esi, %rsi
	pxor	%xmm0, %xmm0
	leaq	(%rdi,%rsi,8), %rax
	.p2align 4,,10
	.p2align 3
.L3:
	addsd	(%rdi), %xmm0
	addq	$8, %rdi
	cmpq	%rax, %rdi
	jne	.L3
	ret
	.p2align 4,,10
	.p2align 3
.L4:
	pxor	%xmm0, %xmm0
	ret
	.cfi_endproc
.LFE0:
	.size	dsum, .-dsum
