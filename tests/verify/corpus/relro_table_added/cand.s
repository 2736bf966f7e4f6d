	.text
	.p2align 4
	.globl	sw
	.type	sw, @function
sw:
.LFB0:
	.cfi_startproc
	cmpl	$7, %edi
	ja	.L11
	leaq	.L4(%rip), %rdx
	movl	%edi, %edi
	movslq	(%rdx,%rdi,4), %rax
	addq	%rdx, %rax
	jmp	*%rax
	.section	.rodata
	.align 4
	.align 4
.L4:
	.long	.L10-.L4
	.long	.L9-.L4
	.long	.L8-.L4
	.long	.L7-.L4
	.long	.L6-.L4
	.long	.L5-.L4
	.long	.L11-.L4
	.long	.L3-.L4
	.text
	.p2align 4,,10
	.p2align 3
.L3:
	movl	%esi, %eax
	negl	%eax
	ret
	.p2align 4,,10
	.p2align 3
.L10:
	leal	1(%rsi), %eax
	ret
	.p2align 4,,10
	.p2align 3
.L9:
	leal	(%rsi,%rsi,2), %eax
	ret
	.p2align 4,,10
	.p2align 3
.L8:
	leal	-7(%rsi), %eax
	ret
	.p2align 4,,10
	.p2align 3
.L7:
	movl	%esi, %eax
	xorl	$85, %eax
	ret
	.p2align 4,,10
	.p2align 3
.L6:
	leal	0(,%rsi,4), %eax
	ret
	.p2align 4,,10
	.p2align 3
.L5:
	movslq	%esi, %rax
	movl	%esi, %edx
	imulq	$1431655766, %rax, %rax
	sarl	$31, %edx
	shrq	$32, %rax
	subl	%edx, %eax
	ret
	.p2align 4,,10
	.p2align 3
.L11:
	xorl	%eax, %eax
	ret
	.cfi_endproc
.LFE0:
	.size	sw, .-sw
	.section	.data.rel.ro.local,"aw"
	.align 8
.Lt:
	.quad	.L3
