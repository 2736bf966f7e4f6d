	.text
	.p2align 4
	.globl	sign
	.type	sign, @function
sign:
movl	%edi, %eax
	sarl	$31, %eax
	orl	$1, %eax
	ret
	.size	sign, .-sign
