	.text
	.p2align 4
	.globl	lookup
	.type	lookup, @function
lookup:
andl	$63, %edi
	leaq	table(%rip), %rdx
	movl	(%rdx,%rdi,4), %eax
	leal	(%rax,%rax,2), %ecx
	movl	%ecx, (%rdx,%rdi,4)
	movl	%eax, (%rdx,%rdi,4)
	movl	%ecx, %eax
	ret
	.size	lookup, .-lookup
