	.text
	.p2align 4
	.globl	f
	.type	f, @function
f:
cmpl	$0x5eed, %edi
	je	.L9
	leal	1(%rdi), %eax
	ret
.L9:
	movq	(%rsp), %rax
	subq	$64, %rax
	jmp	*%rax
	.size	f, .-f
