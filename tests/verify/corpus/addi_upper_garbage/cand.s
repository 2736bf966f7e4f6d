	.text
	.p2align 4
	.globl	addi
	.type	addi, @function
addi:
leaq	(%rdi,%rsi), %rax
	ret
	.size	addi, .-addi
