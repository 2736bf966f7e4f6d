	.text
	.p2align 4
	.globl	map_sum
	.type	map_sum, @function
map_sum:
pushq	%r15
	pushq	%r14
	pushq	%r13
	pushq	%r12
	pushq	%rbp
	pushq	%rbx
	subq	$8, %rsp
	xorl	%ebp, %ebp
	testl	%esi, %esi
	jle	.L4
	movslq	%esi, %rsi
	movq	%rdx, %r12
	movq	%rdi, %rbx
	leaq	(%rdi,%rsi,4), %r13
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
.L3:
	movl	(%rbx), %edi
	testl	%r14d, %r14d
	je	.L5
	cmpl	-4(%rbx), %edi
	je	.L6
.L5:
	call	*%r12
	movq	%rax, %r15
	movl	$1, %r14d
.L6:
	addq	%r15, %rbp
	addq	$4, %rbx
	cmpq	%r13, %rbx
	jne	.L3
.L4:
	movq	%rbp, %rax
	addq	$8, %rsp
	popq	%rbx
	popq	%rbp
	popq	%r12
	popq	%r13
	popq	%r14
	popq	%r15
	ret
	.size	map_sum, .-map_sum
