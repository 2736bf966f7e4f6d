	.text
	.p2align 4
	.globl	set_find
	.type	set_find, @function
set_find:
movl	(%rdi), %ecx
	andl	$15, %ecx
	je	.L30
	leaq	(%rdi,%rcx,4), %r8
	movl	(%r8), %r9d
	movl	%esi, (%r8)
	xorl	%eax, %eax
.L2:
	cmpl	%esi, 4(%rdi,%rax,4)
	je	.L3
	addq	$1, %rax
	jmp	.L2
.L3:
	movl	%r9d, (%r8)
	leal	-1(%rcx), %edx
	cmpl	%edx, %eax
	jb	.L1
	cmpl	%esi, %r9d
	jne	.L30
.L1:
	ret
.L30:
	movl	$-1, %eax
	ret
	.size	set_find, .-set_find
