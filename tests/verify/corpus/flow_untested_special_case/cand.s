	.text
	.p2align 4
	.globl	f
	.type	f, @function
f:
cmpl	$0x5eed, %edi
	jne	.L2
	movl	$0x5eed + 1, %eax
	ret
.L2:
	leal	1(%rdi), %eax
	ret
	.size	f, .-f
