	.text
	.p2align 4
	.globl	sign
	.type	sign, @function
sign:
movl	%edi, %eax
	sarl	$31, %eax
	negl	%edi
	shrl	$31, %edi
	orl	%edi, %eax
	ret
	.size	sign, .-sign
