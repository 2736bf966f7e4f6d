	.text
	.globl	lookup
	.type	lookup, @function
lookup:
.LFB0:
	.cfi_startproc
	movl	%esi, %eax
	movl	$0, %edx
	divl	8(%rdi)
	movq	(%rdi), %rax
	movq	(%rax,%rdx,8), %rdx
	addq	$1, lookups(%rip)
	testq	%rdx, %rdx
	je	.L5
.L4:
	cmpl	%esi, (%rdx)
	je	.L7
	movq	8(%rdx), %rdx
	testq	%rdx, %rdx
	jne	.L4
	movq	$-1, %rax
	ret
.L7:
	addq	$1, 16(%rdi)
	movsd	16(%rdx), %xmm0
	addsd	%xmm0, %xmm0
	cvttsd2siq	%xmm0, %rax
	ret
.L5:
	movq	$-1, %rax
	ret
	.cfi_endproc
.LFE0:
	.size	lookup, .-lookup
