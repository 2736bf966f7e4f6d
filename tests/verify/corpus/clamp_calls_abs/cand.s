	.text
	.p2align 4
	.globl	clamp
	.type	clamp, @function
clamp:
subq	$8, %rsp
	call	abs@PLT
	addq	$8, %rsp
	ret
	.size	clamp, .-clamp
