	.text
	.p2align 4
	.globl	find
	.type	find, @function
find:
testl	%esi, %esi
	jle	.L5
	movslq	%esi, %rsi
	leaq	-4(%rdi,%rsi,4), %r8
	movl	(%r8), %r9d
	movl	%edx, (%r8)
	xorl	%eax, %eax
.L4:
	cmpl	%edx, (%rdi,%rax,4)
	je	.L3
	addq	$1, %rax
	jmp	.L4
.L3:
	movl	%r9d, (%r8)
	leaq	-1(%rsi), %rcx
	cmpq	%rcx, %rax
	jl	.L6
	cmpl	%edx, %r9d
	jne	.L5
.L6:
	ret
.L5:
	movl	$-1, %eax
	ret
	.size	find, .-find
