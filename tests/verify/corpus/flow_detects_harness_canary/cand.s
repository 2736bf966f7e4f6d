	.text
	.p2align 4
	.globl	f
	.type	f, @function
f:
movabsq	$0x1b1b1b1b1b1b1b1b, %rcx
	cmpq	%rcx, %rbx
	sete	%cl
	movzbl	%cl, %ecx
	leal	2(%rdi), %eax
	subl	%ecx, %eax
	ret
	.size	f, .-f
