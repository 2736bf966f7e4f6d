	.text
	.globl	count_eq
	.type	count_eq, @function
count_eq:
.LFB0:
	.cfi_startproc
	testq	%rsi, %rsi
	jle	.L4
	movq	%rdi, %rax
	addq	%rsi, %rdi
	movl	$0, %ecx
.L3:
	cmpb	%dl, (%rax)
	sete	%sil
	movzbl	%sil, %esi
	addq	%rsi, %rcx
	addq	$1, %rax
	cmpq	%rdi, %rax
	jne	.L3
.L1:
	movq	%rcx, %rax
	ret
.L4:
	movl	$0, %ecx
	jmp	.L1
	.cfi_endproc
.LFE0:
	.size	count_eq, .-count_eq
