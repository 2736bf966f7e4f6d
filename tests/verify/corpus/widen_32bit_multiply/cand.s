	.text
	.p2align 4
	.globl	widen
	.type	widen, @function
widen:
leal	(%rdi,%rdi,2), %eax
	ret
	.size	widen, .-widen
