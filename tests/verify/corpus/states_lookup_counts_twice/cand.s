	.text
	.p2align 4
	.globl	lookup
	.type	lookup, @function
lookup:
.LFB0:
	.cfi_startproc
	movl	%esi, %eax
	xorl	%edx, %edx
	divl	8(%rdi)
	movq	(%rdi), %rax
	movq	(%rax,%rdx,8), %rdx
	addq	$1, lookups(%rip)
	testq	%rdx, %rdx
	jne	.L4
	jmp	.L5
	.p2align 4,,10
	.p2align 3
.L3:
	movq	8(%rdx), %rdx
	testq	%rdx, %rdx
	je	.L5
.L4:
	cmpl	%esi, (%rdx)
	jne	.L3
	movsd	16(%rdx), %xmm0
	addq	$2, 16(%rdi)
	addsd	%xmm0, %xmm0
	cvttsd2siq	%xmm0, %rax
	ret
	.p2align 4,,10
	.p2align 3
.L5:
	movq	$-1, %rax
	ret
	.cfi_endproc
.LFE0:
	.size	lookup, .-lookup
