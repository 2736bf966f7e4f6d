	.text
	.globl	sw
	.type	sw, @function
sw:
.LFB0:
	.cfi_startproc
	movl	%esi, %eax
	cmpl	$7, %edi
	ja	.L11
	leaq	.L4(%rip), %rcx
	movl	%edi, %edi
	movslq	(%rcx,%rdi,4), %rdx
	addq	%rcx, %rdx
	jmp	*%rdx
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
.L10:
	incl	%eax
	ret
.L9:
	leal	(%rsi,%rsi,2), %eax
	ret
.L8:
	subl	$7, %eax
	ret
.L7:
	xorl	$85, %eax
	ret
.L6:
	sall	$2, %eax
	ret
.L5:
	movl	$3, %ecx
	cltd
	idivl	%ecx
	ret
.L3:
	negl	%eax
	ret
.L11:
	xorl	%eax, %eax
	ret
	.cfi_endproc
.LFE0:
	.size	sw, .-sw
