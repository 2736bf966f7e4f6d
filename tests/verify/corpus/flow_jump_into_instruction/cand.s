	.text
	.p2align 4
	.globl	f
	.type	f, @function
f:
cmpl	$0x5eed, %edi
	je	.L9+2
	leal	1(%rdi), %eax
	ret
.L9:
	movabsq	$0x9090c3c0314890, %rax
	ret
	.size	f, .-f
