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
	subq	$8, %rsp
	leaq	f(%rip), %rax
	addq	$4096, %rax
	call	*%rax
	addq	$8, %rsp
	ret
	.size	f, .-f
