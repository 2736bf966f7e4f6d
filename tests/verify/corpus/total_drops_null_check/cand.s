	.text
	.p2align 4
	.globl	total
	.type	total, @function
total:
.LFB0:
	.cfi_startproc
	movl	%esi, %ecx
	testl	%esi, %esi
	jle	.L8
	leal	-1(%rsi), %eax
	cmpl	$2, %eax
	jbe	.L9
	movl	%esi, %edx
	pxor	%xmm0, %xmm0
	pxor	%xmm4, %xmm4
	movq	%rdi, %rax
	shrl	$2, %edx
	salq	$4, %rdx
	addq	%rdi, %rdx
	.p2align 4,,10
	.p2align 3
.L4:
	movdqu	(%rax), %xmm1
	movdqa	%xmm4, %xmm2
	addq	$16, %rax
	pcmpgtd	%xmm1, %xmm2
	movdqa	%xmm1, %xmm3
	punpckldq	%xmm2, %xmm3
	punpckhdq	%xmm2, %xmm1
	paddq	%xmm3, %xmm0
	paddq	%xmm1, %xmm0
	cmpq	%rax, %rdx
	jne	.L4
	movdqa	%xmm0, %xmm1
	movl	%ecx, %edx
	psrldq	$8, %xmm1
	andl	$-4, %edx
	paddq	%xmm1, %xmm0
	movq	%xmm0, %rax
	testb	$3, %cl
	je	.L12
.L3:
	movslq	%edx, %rsi
	leaq	0(,%rsi,4), %r8
	movslq	(%rdi,%rsi,4), %rsi
	addq	%rsi, %rax
	leal	1(%rdx), %esi
	cmpl	%esi, %ecx
	jle	.L1
	movslq	4(%rdi,%r8), %rsi
	addl	$2, %edx
	addq	%rsi, %rax
	cmpl	%edx, %ecx
	jle	.L1
	movslq	8(%rdi,%r8), %rdx
	addq	%rdx, %rax
	ret
	.p2align 4,,10
	.p2align 3
.L8:
	xorl	%eax, %eax
.L1:
	ret
	.p2align 4,,10
	.p2align 3
.L12:
	ret
.L9:
	xorl	%edx, %edx
	xorl	%eax, %eax
	jmp	.L3
.L7:
	movq	$-1, %rax
	ret
	.cfi_endproc
.LFE0:
	.size	total, .-total
