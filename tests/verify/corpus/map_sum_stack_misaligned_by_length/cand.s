	.text
	.p2align 4
	.globl	map_sum
	.type	map_sum, @function
map_sum:
pushq	%rbp
	movq	%rsp, %rbp
	pushq	%r15
	pushq	%r14
	pushq	%r13
	pushq	%r12
	pushq	%rbx
	subq	$8, %rsp
	xorl	%r13d, %r13d
	testl	%esi, %esi
	jle	.L4
	movq	%rdx, %r12
	movslq	%esi, %r14
	leaq	7(,%r14,4), %rax
	andq	$-8, %rax
	subq	%rax, %rsp
	xorl	%eax, %eax
.L2:
	movl	(%rdi,%rax,4), %edx
	movl	%edx, (%rsp,%rax,4)
	addq	$1, %rax
	cmpq	%r14, %rax
	jne	.L2
	xorl	%ebx, %ebx
.L3:
	movl	(%rsp,%rbx,4), %edi
	call	*%r12
	addq	%rax, %r13
	addq	$1, %rbx
	cmpq	%r14, %rbx
	jne	.L3
.L4:
	movq	%r13, %rax
	leaq	-40(%rbp), %rsp
	popq	%rbx
	popq	%r12
	popq	%r13
	popq	%r14
	popq	%r15
	popq	%rbp
	ret
	.size	map_sum, .-map_sum
