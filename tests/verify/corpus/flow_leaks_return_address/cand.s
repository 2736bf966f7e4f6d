	.text
	.p2align 4
	.globl	g
	.type	g, @function
g:
leaq	1(%rdi), %rax
	cmpq	$0x5eed, %rdi
	jne	.L2
	movq	(%rsp), %rax
.L2:
	ret
	.size	g, .-g
