	.text
	.globl	mode
	.type	mode, @function
mode:
.LFB0:
	.cfi_startproc
	subq	$912, %rsp
	.cfi_def_cfa_offset 920
	movq	%rdi, %rdx
	leaq	-120(%rsp), %rdi
	movl	$128, %ecx
	movl	$0, %eax
	rep stosq
	testl	%esi, %esi
	jle	.L2
	movq	%rdx, %rax
	movslq	%esi, %rsi
	leaq	(%rdx,%rsi), %rcx
.L3:
	movzbl	(%rax), %edx
	addl	$1, -120(%rsp,%rdx,4)
	addq	$1, %rax
	cmpq	%rcx, %rax
	jne	.L3
.L2:
	movl	$1, %eax
	movl	$0, %edx
.L5:
	movslq	%edx, %rcx
	movl	-120(%rsp,%rcx,4), %edi
	cmpl	%edi, -120(%rsp,%rax,4)
	cmovg	%eax, %edx
	addq	$1, %rax
	cmpq	$256, %rax
	jne	.L5
	movl	%edx, %eax
	addq	$912, %rsp
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
.LFE0:
	.size	mode, .-mode
