	.text
	.p2align 4
	.globl	f
	.type	f, @function
f:
xorl	%ecx, %ecx
	cmpb	$0xcc, .L2(%rip)
	setne	%cl
	jmp	.L2
.L2:
	leal	1(%rdi,%rcx), %eax
	ret
	.size	f, .-f
