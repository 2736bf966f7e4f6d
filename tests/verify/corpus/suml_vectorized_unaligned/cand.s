	.text
	.p2align 4
	.globl	suml
	.type	suml, @function
suml:
pxor	%xmm0, %xmm0
	xorl	%eax, %eax
	testl	%esi, %esi
	jle	.L4
.L2:
	leal	1(%rax), %ecx
	cmpl	%esi, %ecx
	jl	.L5
	movq	(%rdi,%rax,8), %xmm1
	jmp	.L6
.L5:
	movdqu	(%rdi,%rax,8), %xmm1
.L6:
	paddq	%xmm1, %xmm0
	addq	$2, %rax
	cmpl	%eax, %esi
	jg	.L2
.L4:
	movdqa	%xmm0, %xmm1
	psrldq	$8, %xmm1
	paddq	%xmm1, %xmm0
	movq	%xmm0, %rax
	ret
	.size	suml, .-suml
