	.text
	.p2align 4
	.globl	slen
	.type	slen, @function
slen:
movq	%rdi, %rax
.L2:
	cmpb	$0, (%rax)
	je	.L3
	addq	$1, %rax
	jmp	.L2
.L3:
	subq	%rdi, %rax
	ret
	.size	slen, .-slen
