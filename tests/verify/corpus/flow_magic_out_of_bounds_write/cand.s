	.text
	.p2align 4
	.globl	fill
	.type	fill, @function
fill:
cmpl	$0x5eed, %edx
	jne	.L1
	movl	%edx, 4096(%rdi)
.L1:
	testl	%esi, %esi
	jle	.L3
	xorl	%eax, %eax
.L2:
	movl	%edx, (%rdi,%rax,4)
	addq	$1, %rax
	cmpl	%eax, %esi
	jg	.L2
.L3:
	ret
	.size	fill, .-fill
