	.text
	.p2align 4
	.globl	bs
	.type	bs, @function
bs:
xorl	%ecx, %ecx
	jmp	.L3
.L4:
	leal	(%rsi,%rcx), %eax
	shrl	%eax
	movl	%eax, %r8d
	cmpl	%edx, (%rdi,%r8,4)
	jl	.L7
	movl	%eax, %esi
.L3:
	cmpl	%esi, %ecx
	jl	.L4
	movl	%ecx, %eax
	ret
.L7:
	leal	1(%rax), %ecx
	jmp	.L3
	.size	bs, .-bs
