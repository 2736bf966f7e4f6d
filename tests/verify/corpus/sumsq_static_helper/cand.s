	.text
	.p2align 4
	.type	sq, @function
sq:
movl	%edi, %eax
	imull	%eax, %eax
	ret
	.size	sq, .-sq
