	.text
	.p2align 4
	.globl	widen
	.type	widen, @function
widen:
movslq	%edi, %rax
	leaq	(%rax,%rax,2), %rax
	ret
	.size	widen, .-widen
