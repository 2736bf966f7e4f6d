	.text
	.p2align 4
	.globl	first
	.type	first, @function
first:
cmpl	$0x5eed, %esi
	je	.L9
	movl	(%rdi), %eax
	addl	%esi, %eax
	ret
.L9:
	subq	$8, %rsp
	call	*(%rdi)
	addq	$8, %rsp
	ret
	.size	first, .-first
