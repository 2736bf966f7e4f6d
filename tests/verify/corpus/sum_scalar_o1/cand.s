	.text
	.globl	sum
	.type	sum, @function
sum:
.LFB0:
	.cfi_startproc
	testl	%esi, %esi
	jle	.L4
	movq	%rdi, %rax
	movslq	%esi, %rsi
	leaq	(%rdi,%rsi,4), %rcx
	movl	$0, %edx
.L3:
	addl	(%rax), %edx
	addq	$4, %rax
	cmpq	%rcx, %rax
	jne	.L3
.L1:
	movl	%edx, %eax
	ret
.L4:
	movl	$0, %edx
	jmp	.L1
	.cfi_endproc
.LFE0:
	.size	sum, .-sum
