	.text
	.p2align 4
	.globl	fib
	.type	fib, @function
fib:
xorl	%eax, %eax
	movl	$1, %edx
.L2:
	leal	(%rax,%rdx), %ecx
	movl	%edx, %eax
	movl	%ecx, %edx
	subl	$1, %edi
	jne	.L2
	ret
	.size	fib, .-fib
