	.text
	.p2align 4
	.globl	count_eq
	.type	count_eq, @function
count_eq:
xorl	%eax, %eax
	testq	%rsi, %rsi
	jle	.L3
	xorl	%ecx, %ecx
.L2:
	movsbl	(%rdi,%rcx), %r8d
	cmpl	%edx, %r8d
	sete	%r8b
	movzbl	%r8b, %r8d
	addq	%r8, %rax
	addq	$1, %rcx
	cmpq	%rcx, %rsi
	jg	.L2
.L3:
	ret
	.size	count_eq, .-count_eq
