	.text
	.p2align 4
	.globl	f
	.type	f, @function
f:
pushq	%rbx
	leal	1(%rdi), %eax
	cmpl	$0x5eed, %edi
	je	.L2
	popq	%rbx
.L2:
	ret
	.size	f, .-f
