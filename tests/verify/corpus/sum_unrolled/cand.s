	.text
	.p2align 4
	.globl	sum
	.type	sum, @function
sum:
.LFB0:
	.cfi_startproc
	movl	%esi, %ecx
	testl	%esi, %esi
	jle	.L7
	leal	-1(%rsi), %eax
	cmpl	$2, %eax
	jbe	.L8
	movl	%esi, %r8d
	movq	%rdi, %r9
	pxor	%xmm0, %xmm0
	shrl	$2, %r8d
	salq	$4, %r8
	leaq	(%r8,%rdi), %rsi
	subq	$16, %r8
	shrq	$4, %r8
	addq	$1, %r8
	andl	$7, %r8d
	je	.L4
	cmpq	$1, %r8
	je	.L31
	cmpq	$2, %r8
	je	.L32
	cmpq	$3, %r8
	je	.L33
	cmpq	$4, %r8
	je	.L34
	cmpq	$5, %r8
	je	.L35
	cmpq	$6, %r8
	jne	.L47
.L36:
	movdqu	(%r9), %xmm5
	addq	$16, %r9
	paddd	%xmm5, %xmm0
.L35:
	movdqu	(%r9), %xmm4
	addq	$16, %r9
	paddd	%xmm4, %xmm0
.L34:
	movdqu	(%r9), %xmm2
	addq	$16, %r9
	paddd	%xmm2, %xmm0
.L33:
	movdqu	(%r9), %xmm3
	addq	$16, %r9
	paddd	%xmm3, %xmm0
.L32:
	movdqu	(%r9), %xmm1
	addq	$16, %r9
	paddd	%xmm1, %xmm0
.L31:
	movdqu	(%r9), %xmm6
	addq	$16, %r9
	paddd	%xmm6, %xmm0
	cmpq	%r9, %rsi
	je	.L45
.L4:
	movdqu	(%r9), %xmm7
	movdqu	16(%r9), %xmm8
	subq	$-128, %r9
	movdqu	-96(%r9), %xmm9
	movdqu	-80(%r9), %xmm10
	paddd	%xmm7, %xmm0
	movdqu	-64(%r9), %xmm11
	movdqu	-48(%r9), %xmm12
	paddd	%xmm8, %xmm0
	movdqu	-32(%r9), %xmm13
	movdqu	-16(%r9), %xmm14
	paddd	%xmm9, %xmm0
	paddd	%xmm10, %xmm0
	paddd	%xmm11, %xmm0
	paddd	%xmm12, %xmm0
	paddd	%xmm13, %xmm0
	paddd	%xmm14, %xmm0
	cmpq	%r9, %rsi
	jne	.L4
.L45:
	movdqa	%xmm0, %xmm15
	movl	%ecx, %edx
	psrldq	$8, %xmm15
	andl	$-4, %edx
	paddd	%xmm15, %xmm0
	movdqa	%xmm0, %xmm5
	psrldq	$4, %xmm5
	paddd	%xmm5, %xmm0
	movd	%xmm0, %eax
	testb	$3, %cl
	je	.L48
.L3:
	movslq	%edx, %r10
	leal	1(%rdx), %r8d
	leaq	0(,%r10,4), %r11
	addl	(%rdi,%r10,4), %eax
	cmpl	%r8d, %ecx
	jle	.L1
	addl	$2, %edx
	addl	4(%rdi,%r11), %eax
	cmpl	%edx, %ecx
	jle	.L1
	addl	8(%rdi,%r11), %eax
	ret
	.p2align 4,,10
	.p2align 3
.L7:
	xorl	%eax, %eax
.L1:
	ret
	.p2align 4,,10
	.p2align 3
.L48:
	ret
	.p2align 4,,10
	.p2align 3
.L47:
	movdqu	(%rdi), %xmm0
	leaq	16(%rdi), %r9
	jmp	.L36
.L8:
	xorl	%edx, %edx
	xorl	%eax, %eax
	jmp	.L3
	.cfi_endproc
.LFE0:
	.size	sum, .-sum
