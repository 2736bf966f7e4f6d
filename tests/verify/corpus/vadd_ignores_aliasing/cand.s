	.text
	.p2align 4
	.globl	vadd
	.type	vadd, @function
vadd:
.LFB0:
	.cfi_startproc
	movq	%rdi, %rcx
	testl	%edx, %edx
	jle	.L1
	cmpl	$1, %edx
	je	.L3
	leaq	4(%rsi), %rdi
	movq	%rcx, %rax
	subq	%rdi, %rax
	jmp	.L24
.L3:
	movslq	%edx, %rdx
	xorl	%eax, %eax
	salq	$2, %rdx
	.p2align 4,,10
	.p2align 3
.L9:
	movl	(%rsi,%rax), %edi
	addl	%edi, (%rcx,%rax)
	addq	$4, %rax
	cmpq	%rax, %rdx
	jne	.L9
.L1:
	ret
	.p2align 4,,10
	.p2align 3
.L24:
	leal	-1(%rdx), %eax
	movl	%edx, %r8d
	cmpl	$2, %eax
	jbe	.L11
	movl	%edx, %edi
	xorl	%eax, %eax
	shrl	$2, %edi
	salq	$4, %rdi
	.p2align 4,,10
	.p2align 3
.L5:
	movdqu	(%rcx,%rax), %xmm0
	movdqu	(%rsi,%rax), %xmm2
	paddd	%xmm2, %xmm0
	movups	%xmm0, (%rcx,%rax)
	addq	$16, %rax
	cmpq	%rdi, %rax
	jne	.L5
	movl	%edx, %eax
	andl	$-4, %eax
	movl	%eax, %edi
	cmpl	%eax, %edx
	je	.L1
	subl	%eax, %edx
	movl	%edx, %r8d
	cmpl	$1, %edx
	je	.L7
.L4:
	movl	%edi, %edx
	leaq	(%rcx,%rdx,4), %rdi
	movq	(%rsi,%rdx,4), %xmm0
	movq	(%rdi), %xmm1
	paddd	%xmm1, %xmm0
	movq	%xmm0, (%rdi)
	testb	$1, %r8b
	je	.L1
	andl	$-2, %r8d
	addl	%r8d, %eax
.L7:
	cltq
	movl	(%rsi,%rax,4), %edx
	addl	%edx, (%rcx,%rax,4)
	ret
.L11:
	xorl	%edi, %edi
	xorl	%eax, %eax
	jmp	.L4
	.cfi_endproc
.LFE0:
	.size	vadd, .-vadd
