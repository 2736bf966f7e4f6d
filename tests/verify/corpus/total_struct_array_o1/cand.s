	.text
	.globl	total
	.type	total, @function
total:
.LFB0:
	.cfi_startproc
	testl	%esi, %esi
	jle	.L4
	movq	%rdi, %rax
	movslq	%esi, %rsi
	salq	$4, %rsi
	addq	%rsi, %rdi
	pxor	%xmm1, %xmm1
.L3:
	pxor	%xmm0, %xmm0
	cvtsi2sdl	(%rax), %xmm0
	mulsd	8(%rax), %xmm0
	addsd	%xmm0, %xmm1
	addq	$16, %rax
	cmpq	%rdi, %rax
	jne	.L3
.L1:
	movapd	%xmm1, %xmm0
	ret
.L4:
	pxor	%xmm1, %xmm1
	jmp	.L1
	.cfi_endproc
.LFE0:
	.size	total, .-total
