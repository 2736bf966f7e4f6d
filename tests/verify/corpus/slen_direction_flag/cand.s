	.text
	.p2align 4
	.globl	slen
	.type	slen, @function
slen:
std
	xorl	%eax, %eax
	cmpb	$0, (%rdi)
	je	.L3
.L2:
	addq	$1, %rax
	cmpb	$0, (%rdi,%rax)
	jne	.L2
.L3:
	ret
	.size	slen, .-slen
