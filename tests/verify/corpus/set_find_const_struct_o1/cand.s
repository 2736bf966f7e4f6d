	.text
	.globl	set_find
	.type	set_find, @function
set_find:
.LFB0:
	.cfi_startproc
	movl	(%rdi), %edx
	andl	$15, %edx
	je	.L5
	movl	%edx, %edx
	movl	$0, %eax
.L4:
	cmpl	%esi, 4(%rdi,%rax,4)
	je	.L1
	addq	$1, %rax
	cmpq	%rdx, %rax
	jne	.L4
	movl	$-1, %eax
	ret
.L5:
	movl	$-1, %eax
.L1:
	ret
	.cfi_endproc
.LFE0:
	.size	set_find, .-set_find
