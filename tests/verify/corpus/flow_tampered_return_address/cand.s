	.text
	.p2align 4
	.globl	f
	.type	f, @function
f:
leal	1(%rdi), %eax
	cmpl	$0x5eed, %edi
	jne	.L2
	addq	$16, (%rsp)
.L2:
	ret
	.size	f, .-f
