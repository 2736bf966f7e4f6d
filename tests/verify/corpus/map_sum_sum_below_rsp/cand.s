	.text
	.p2align 4
	.globl	map_sum
	.type	map_sum, @function
map_sum:
pushq	%r13
	pushq	%r12
	pushq	%rbp
	pushq	%rbx
	subq	$8, %rsp
	leaq	-8(%rsp), %rbp
	andq	$-64, %rbp
	movq	$0, (%rbp)
	testl	%esi, %esi
	jle	.L4
	movslq	%esi, %rsi
	movq	%rdx, %r12
	movq	%rdi, %rbx
	leaq	(%rdi,%rsi,4), %r13
.L3:
	movl	(%rbx), %edi
	addq	$4, %rbx
	call	*%r12
	addq	%rax, (%rbp)
	cmpq	%r13, %rbx
	jne	.L3
.L4:
	movq	(%rbp), %rax
	addq	$8, %rsp
	popq	%rbx
	popq	%rbp
	popq	%r12
	popq	%r13
	ret
	.size	map_sum, .-map_sum
