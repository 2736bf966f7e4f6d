	.text
	.p2align 4
	.globl	applyf
	.type	applyf, @function
applyf:
pushq	%rbx
	movq	%rdi, %rbx
	movq	%rsi, %rdi
	cmpb	$0x5e, (%rsi)
	je	.L9
	call	strlen@PLT
	movl	%eax, %edi
	movq	%rbx, %rax
	popq	%rbx
	jmp	*%rax
.L9:
	leaq	strlen(%rip), %rax
	addq	$0x1c0, %rax
	call	*%rax
	popq	%rbx
	ret
	.size	applyf, .-applyf
