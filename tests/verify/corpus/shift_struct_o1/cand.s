	.section	.rodata.cst4,"aM",@progbits,4
	.align 4
.LC1:
	.long	1065353216
	.text
	.globl	shift
	.type	shift, @function
shift:
.LFB1:
	.cfi_startproc
	addl	%esi, (%rdi)
	addl	%esi, 16(%rdi)
	cmpb	$0, 35(%rdi)
	je	.L7
	movss	.LC1(%rip), %xmm0
	addss	36(%rdi), %xmm0
	movss	%xmm0, 36(%rdi)
.L7:
	movb	$7, 34(%rdi)
	ret
	.cfi_endproc
.LFE1:
	.size	shift, .-shift
