	.text
	.p2align 4
	.globl	slen
	.type	slen, @function
slen:
movl	$1, %eax
.L2:
	cmpb	$0, (%rdi,%rax)
	je	.L3
	addq	$1, %rax
	jmp	.L2
.L3:
	ret
	.size	slen, .-slen
